"""Kinds, channels and applicant types of incoming items (R-KIND-1, R-REG-2, R-KIND-3)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

# R-KIND-1: appeal kinds of АППК art. 4, petitions, sign-up requests, and correspondence.
KINDS = {
    "statement": _l("Statement"),
    "complaint": _l("Complaint"),
    "request": _l("Request"),
    "proposal": _l("Proposal"),
    "response": _l("Response"),
    "report": _l("Report"),
    "petition": _l("Petition"),
    "reception_request": _l("Request for personal reception"),
    "correspondence": _l("Letter of a state body or organisation"),
    "assignment": _l("Assignment of a higher body"),
    # R-KIND-2: the profile kinds e-Otinish uses (their terms are the profile's).
    "public_service_complaint": _l("Complaint about a public service"),
    "media_request": _l("Request of the media"),
    "lawyer_request": _l("Request of a lawyer or notary"),
    "bailiff_request": _l("Request of a bailiff"),
    "information_request": _l("Request for information"),
}
APPEAL_KINDS = frozenset(KINDS) - {"correspondence", "assignment"}

# Fixed kk/ru titles for documents handed to applicants (slips, notices) whatever the UI language.
KIND_TITLES_KK_RU = {
    "statement": {"kk": "Арыз", "ru": "Заявление"},
    "complaint": {"kk": "Шағым", "ru": "Жалоба"},
    "request": {"kk": "Сұрау салу", "ru": "Запрос"},
    "proposal": {"kk": "Ұсыныс", "ru": "Предложение"},
    "response": {"kk": "Үн қосу", "ru": "Отклик"},
    "report": {"kk": "Хабар", "ru": "Сообщение"},
    "petition": {"kk": "Петиция", "ru": "Петиция"},
    "reception_request": {
        "kk": "Жеке қабылдауға жазылу туралы өтініш",
        "ru": "Заявка на личный прием",
    },
    "correspondence": {"kk": "Кіріс хат", "ru": "Входящее письмо"},
    "assignment": {
        "kk": "Жоғары тұрған органның тапсырмасы",
        "ru": "Поручение вышестоящего органа",
    },
    "public_service_complaint": {
        "kk": "Мемлекеттік қызмет көрсету сапасына шағым",
        "ru": "Жалоба на качество оказания государственной услуги",
    },
    "media_request": {"kk": "БАҚ сұрау салуы", "ru": "Запрос СМИ"},
    "lawyer_request": {
        "kk": "Адвокаттың немесе нотариустың сұрау салуы",
        "ru": "Запрос адвоката или нотариуса",
    },
    "bailiff_request": {
        "kk": "Сот орындаушысының сұрау салуы",
        "ru": "Запрос судебного исполнителя",
    },
    "information_request": {"kk": "Ақпаратқа сұрау салу", "ru": "Запрос на информацию"},
}

# R-REG-2: how the item arrived.
CHANNELS = {
    "post": _l("By post"),
    "by_hand": _l("Handed in"),
    "egov": _l("e-Government portal"),
    "eotinish": _l("e-Otinish"),
    "email": _l("E-mail with a digital signature"),
    "oral": _l("Oral, at the front office"),
    "phone": _l("By phone or call centre"),
    "reception": _l("At a personal reception"),
}
CHANNEL_TITLES_KK_RU = {
    "post": {"kk": "Пошта арқылы", "ru": "По почте"},
    "by_hand": {"kk": "Қолма-қол", "ru": "Нарочно"},
    "egov": {"kk": "«Электрондық үкімет» порталы", "ru": "Портал «электронного правительства»"},
    "eotinish": {"kk": "e-Otinish", "ru": "e-Otinish"},
    "email": {"kk": "ЭЦҚ бар электрондық пошта", "ru": "Электронная почта с ЭЦП"},
    "oral": {"kk": "Ауызша, қабылдау бөлмесінде", "ru": "Устно, в приемной"},
    "phone": {"kk": "Телефон / байланыс орталығы", "ru": "Телефон / колл-центр"},
    "reception": {"kk": "Жеке қабылдауда", "ru": "На личном приеме"},
}
ORAL_CHANNELS = frozenset({"oral", "phone"})

APPLICANT_TYPES = {
    "individual": _l("Individual"),
    "legal": _l("Legal entity"),
    "foreigner": _l("Foreigner or stateless person"),
}

LANGUAGES = {"kk": _l("Kazakh"), "ru": _l("Russian"), "other": _l("Other language")}

# R-REG-5: required details of a written appeal; the keys name the missing items in notices.
REQUIRED_DETAILS = {
    "full_name": _l("surname, name and patronymic of the applicant"),
    "address": _l("postal address"),
    "organisation_name": _l("name of the legal entity"),
    "bin": _l("BIN of the legal entity"),
    "addressee": _l("addressee"),
    "summary": _l("essence of the appeal"),
    "signed": _l("signature of the applicant or representative"),
    "authority_document": _l("document confirming the representative's authority"),
}
REQUIRED_DETAILS_KK_RU = {
    "full_name": {
        "kk": "өтініш берушінің тегі, аты, әкесінің аты",
        "ru": "фамилия, имя, отчество заявителя",
    },
    "address": {"kk": "пошталық мекенжайы", "ru": "почтовый адрес"},
    "organisation_name": {"kk": "заңды тұлғаның атауы", "ru": "наименование юридического лица"},
    "bin": {"kk": "заңды тұлғаның БСН", "ru": "БИН юридического лица"},
    "addressee": {"kk": "кімге жолданғаны", "ru": "адресат"},
    "summary": {"kk": "өтініштің мәні", "ru": "суть обращения"},
    "signed": {
        "kk": "өтініш берушінің немесе өкілдің қолы",
        "ru": "подпись заявителя или представителя",
    },
    "authority_document": {
        "kk": "өкілдің өкілеттігін растайтын құжат",
        "ru": "документ, подтверждающий полномочия представителя",
    },
}

# Per-file extraction failures, by the pipeline's stable error codes.
EXTRACTION_ERRORS = {
    "not_supported": _l("The file type is not supported, or the file is not what its name says."),
    "corrupt": _l("The file is damaged or empty and cannot be read."),
    "too_large": _l("The file is too large to read (pages, image size or content)."),
    "timeout": _l("Reading the file took too long and was stopped."),
    "memory": _l("Reading the file needed too much memory and was stopped."),
    "encrypted": _l("The file is password-protected."),
    "ocr_failed": _l("Text recognition (OCR) failed on this file."),
    "unsafe": _l(
        "The file looks unsafe (a compression bomb or external references) and was not opened."
    ),
    "internal": _l("Reading the file failed because of an error in docflow; the file is kept."),
}
